import type { SpeechResponse } from '../pipeline/audio-attempt.js';

/** The operation name of `POST /v1/audio/speech` in the pipeline. */
export const SPEECH = 'audio.speech';

/** A speech answer as an entry stores it (JSON): the audio's content type and its bytes in base64. */
export interface StoredSpeech {
  readonly contentType: string;
  readonly audio: string;
}

/** A stored speech answer, parsed once for the hits of its entry. */
export interface PreparedSpeech {
  readonly contentType: string;
  readonly audio: Buffer;
}

/**
 * The upstream's audio on its way to the caller, recorded as it flows (no added latency): when the
 * last chunk went through, `done` gets the whole answer, unless it grew beyond `maxBytes` (stored as
 * base64, so an entry's limit allows three quarters of it in audio). An upstream that fails or a
 * caller that stops reading ends the stream without `done`: half an answer is never stored.
 */
export function recordingSpeech(response: SpeechResponse, maxBytes: number, done: (stored: StoredSpeech) => void): SpeechResponse {
  const limit = Math.floor((maxBytes * 3) / 4);
  async function* recorded(): AsyncIterable<Buffer> {
    // Undefined once the audio outgrew the limit: the rest only passes through.
    let chunks: Buffer[] | undefined = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      if (chunks !== undefined) {
        bytes += chunk.length;
        if (bytes <= limit) chunks.push(chunk);
        else chunks = undefined;
      }
      yield chunk;
    }
    if (chunks !== undefined) done({ contentType: response.contentType, audio: Buffer.concat(chunks, bytes).toString('base64') });
  }
  return { contentType: response.contentType, body: recorded() };
}

export function prepareSpeech(stored: StoredSpeech): PreparedSpeech {
  return { contentType: stored.contentType, audio: Buffer.from(stored.audio, 'base64') };
}

/** A hit's answer: the stored audio as one chunk (a new stream per hit). */
export function replayedSpeech(prepared: PreparedSpeech): SpeechResponse {
  async function* once(): AsyncIterable<Buffer> {
    yield prepared.audio;
  }
  return { contentType: prepared.contentType, body: once() };
}
