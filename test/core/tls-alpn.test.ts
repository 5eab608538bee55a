import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * `server.tls`: the port speaks TLS only, and offers HTTP/2 and HTTP/1.1 by ALPN. The certificate is
 * a throwaway self-signed one made here with the openssl CLI, for 127.0.0.1.
 */

let dir: string;
let ca: Buffer;
let running: RunningGateway;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-tls-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  ca = await readFile(join(dir, 'cert.pem'));
  running = await startGateway({
    server: { tls: { cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') } },
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
  });
});
after(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

const CHAT = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'over tls' }] });

test('the gateway listens on https://, and an HTTP/2 client gets h2 by ALPN', async () => {
  assert.match(running.url, /^https:\/\//);
  const session = connect(running.url, { ca });
  try {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end(CHAT);
    });
    assert.equal(session.alpnProtocol, 'h2');
    assert.equal(answer.status, 200);
    assert.match((JSON.parse(answer.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, /over tls/);
  } finally {
    session.close();
  }
});

test('an HTTP/1.1 client over TLS gets http/1.1 by ALPN', async () => {
  const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
    const options: RequestOptions & { ALPNProtocols: string[] } = { method: 'POST', ca, headers: { 'content-type': 'application/json' }, ALPNProtocols: ['http/1.1'] };
    const request = httpsRequest(`${running.url}/v1/chat/completions`, options, (response) => {
      const negotiated = (response.socket as TLSSocket).alpnProtocol;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, alpn: negotiated }));
    });
    request.on('error', reject);
    request.end(CHAT);
  });
  assert.equal(alpn, 'http/1.1');
  assert.equal(status, 200);
  assert.match(body, /over tls/);
});

test('cleartext HTTP to the TLS port is refused, not served', async () => {
  const plainUrl = running.url.replace(/^https:/, 'http:');
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(`${plainUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(CHAT);
  });
  assert.equal(status, 400);
  assert.match(body, /use https/);
});
