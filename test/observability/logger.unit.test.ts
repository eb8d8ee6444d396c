import { createLogger, loggerFromLog, type Log } from '../../src/observability/logger';

describe('the JSON logger', () => {
  const capture = (level: 'info' | 'debug' = 'info') => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger(
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      level,
    );
    return { logger, lines };
  };

  it('writes level names, ISO times, msg and the fields', () => {
    const { logger, lines } = capture();
    logger.info({ requestId: 'r-1' }, 'request');
    logger.debug('not at info');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        requestId: 'r-1',
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/) as string,
      }),
    ]);
  });

  it('never writes credentials, even when a caller passes them', () => {
    const { logger, lines } = capture();
    logger.info({ authorization: 'Bearer abc', headers: { authorization: 'Bearer def' } }, 'x');
    expect(JSON.stringify(lines)).not.toMatch(/abc|def/);
  });

  it('feeds a Log function as (level, message, fields)', () => {
    const calls: Parameters<Log>[] = [];
    const logger = loggerFromLog((...args) => void calls.push(args), 'debug');
    logger.warn({ a: 1 }, 'careful');
    logger.fatal('down');
    logger.debug('detail');
    expect(calls).toEqual([
      ['warn', 'careful', { a: 1 }],
      ['error', 'down', {}],
      ['info', 'detail', {}],
    ]);
  });
});
