import type { CommandHandler } from '../commands/handle';
import { COMMANDS } from '../domain/catalog';
import { errorCodeOf, ErrorCode } from '../graphql/errors';
import { secondsSince, type Metrics } from './metrics';
import type { Tracing } from './tracing';

export type CommandPort = Pick<CommandHandler, 'handle'>;

/**
 * The command handler with each command timed (`leadledger_command_duration_seconds`), its
 * refusals counted by API error code (`leadledger_command_errors_total`) and a span around it.
 * Follow-up commands run inside the handler and count in their command's time.
 */
export const instrumentCommands = (
  handler: CommandPort,
  { metrics, tracing }: { metrics: Metrics; tracing: Tracing },
): CommandPort => ({
  handle(type, input, context) {
    const command = Object.hasOwn(COMMANDS, type) ? type : 'unknown';
    const started = process.hrtime.bigint();
    return tracing.inSpan(
      `command ${command}`,
      {
        'leadledger.command': command,
        'leadledger.correlation_id': context.correlationId,
        'enduser.id': context.actor.id,
      },
      async (span) => {
        try {
          const result = await handler.handle(type, input, context);
          metrics.commandDuration.observe({ command, outcome: 'ok' }, secondsSince(started));
          span.update(undefined, {
            'leadledger.position': result.position,
            'leadledger.deduplicated': result.deduplicated,
          });
          return result;
        } catch (error) {
          const code = errorCodeOf(error);
          metrics.commandDuration.observe({ command, outcome: 'error' }, secondsSince(started));
          metrics.commandErrors.inc({ command, code });
          // Only an unexpected error is recorded: refusals can quote the input.
          span.fail(code, code === ErrorCode.INTERNAL ? error : undefined);
          throw error;
        }
      },
    );
  },
});
