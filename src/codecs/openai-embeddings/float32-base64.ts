/** A vector as OpenAI's `encoding_format: base64` renders it: little-endian float32, base64. */
export function encodeFloat32Base64(vector: readonly number[]): string {
  const buffer = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer.toString('base64');
}

export function decodeFloat32Base64(text: string): number[] {
  const buffer = Buffer.from(text, 'base64');
  const vector: number[] = new Array(Math.floor(buffer.length / 4));
  for (let index = 0; index < vector.length; index++) vector[index] = buffer.readFloatLE(index * 4);
  return vector;
}
