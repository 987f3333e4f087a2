'use strict';

/** All of stdin as UTF-8 text. */
exports.readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
};

/** Runs main, prints its result as one JSON line; on an error prints it (with any SDK data) to stderr and exits 1. */
exports.finish = (main) => {
  main().then(
    (result) => { process.stdout.write(JSON.stringify(result) + '\n'); },
    (error) => {
      process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
      if (error && error.data) process.stderr.write(`data: ${JSON.stringify(error.data)}\n`);
      process.exitCode = 1;
    });
};
