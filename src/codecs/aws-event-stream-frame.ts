import { crc32 } from 'node:zlib';

/**
 * Writes one AWS event-stream message (`application/vnd.amazon.eventstream`, what Bedrock's
 * streaming operations answer with): `total length (4) | headers length (4) | prelude CRC (4) |
 * headers | payload | message CRC (4)`, big-endian, CRC-32 over the prelude and then over all that
 * precedes the message CRC (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html).
 * Header values are strings (type 7): `name length (1) | name | 7 | value length (2) | value`.
 * Readers (the AWS SDKs, src/providers/transport/aws-event-stream.ts) check both CRCs.
 */
export function awsEventStreamFrame(headers: Readonly<Record<string, string>>, payload: string | Uint8Array): Buffer {
  const encoded: Buffer[] = [];
  let headersLength = 0;
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const header = Buffer.allocUnsafe(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    header.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(header, 1);
    header.writeUInt8(7, 1 + nameBytes.length);
    header.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    valueBytes.copy(header, 4 + nameBytes.length);
    encoded.push(header);
    headersLength += header.length;
  }
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const total = 12 + headersLength + body.length + 4;
  const frame = Buffer.allocUnsafe(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headersLength, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  let offset = 12;
  for (const header of encoded) offset += header.copy(frame, offset);
  offset += Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(frame, offset);
  frame.writeUInt32BE(crc32(frame.subarray(0, offset)), offset);
  return frame;
}

/** An event frame (`:message-type: event`) of type `eventType` with a JSON payload. */
export function awsEvent(eventType: string, payload: unknown): Buffer {
  return awsEventStreamFrame({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload));
}

/** An exception frame (`:message-type: exception`): `exceptionType` is the stream union's member name (`throttlingException`). */
export function awsException(exceptionType: string, message: string): Buffer {
  return awsEventStreamFrame({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }, JSON.stringify({ message }));
}
