export const consoleIO = {
    out: (line) => console.log(line),
    progress: (message) => process.stderr.write(`${message}\n`),
};
