// WeCom callback crypto done by the official @wecom/crypto package.
//   node wecom-crypto.js seal <encodingAESKey> <receiveId> <token> <timestamp> <nonce>   (message on stdin)
//     prints {"encrypt": …, "signature": …}: the message encrypted and signed as WeCom's servers do.
//   node wecom-crypto.js open <encodingAESKey> <token> <timestamp> <nonce>              (ciphertext on stdin)
//     prints {"message": …, "id": …, "signature": …}: what the package decrypts, and its signature of the ciphertext.
'use strict';
const { encrypt, decrypt, getSignature } = require('@wecom/crypto');
const { readStdin, finish } = require('./io');

finish(async () => {
  const [command, ...args] = process.argv.slice(2);
  const input = await readStdin();
  if (command === 'seal') {
    const [key, receiveId, token, timestamp, nonce] = args;
    const encrypted = encrypt(key, input, receiveId);
    return { encrypt: encrypted, signature: getSignature(token, timestamp, nonce, encrypted) };
  }
  if (command === 'open') {
    const [key, token, timestamp, nonce] = args;
    const { message, id } = decrypt(key, input);
    return { message, id, signature: getSignature(token, timestamp, nonce, input) };
  }
  throw new Error(`unknown command '${command}'`);
});
