import { hashPassword } from '../admin/password-hash.js';

const MIN_LENGTH = 12;

/**
 * `tollgate admin hash-password`: prints the `password_hash` of an `admin.users` entry. The password
 * is read from standard input (piped, first line), or asked for twice without echo on a terminal;
 * it is never taken from the command line, where `ps` and shell history would keep it.
 */
export async function runHashPassword(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WritableStream = process.stdout, errors: NodeJS.WritableStream = process.stderr): Promise<number> {
  let password: string;
  if (input.isTTY) {
    password = await ask(input, errors, 'Password: ');
    if ((await ask(input, errors, 'Again: ')) !== password) {
      errors.write('tollgate: the passwords differ.\n');
      return 2;
    }
  } else {
    password = (await readAll(input)).split(/\r?\n/)[0] ?? '';
  }
  if (password.length < MIN_LENGTH) {
    errors.write(`tollgate: use a password of at least ${MIN_LENGTH} characters.\n`);
    return 2;
  }
  output.write(`${await hashPassword(password)}\n`);
  return 0;
}

async function readAll(input: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > 65_536) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
function ask(input: NodeJS.ReadStream, prompt: NodeJS.WritableStream, question: string): Promise<string> {
  prompt.write(question);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: Buffer) => {
      for (const character of chunk.toString('utf8')) {
        if (character === '\r' || character === '\n') {
          finish();
          prompt.write('\n');
          return resolve(typed);
        }
        if (character === '\u0003') {
          finish();
          return reject(new Error('interrupted'));
        }
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    };
    input.on('data', onData);
  });
}
