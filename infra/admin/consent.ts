/**
 * Consent and backup before a table write: the admin CLI never deletes without consent. The plan
 * is printed before anything is written. A write that deletes items needs `--yes`, or a "yes"
 * typed at a terminal; in a script (no terminal, or `--json`) it stops before writing. A write that
 * replaces or deletes stored items first saves the table's whole config to a new file under
 * `.local/backups/` (the caller's working directory) and names it.
 */
import type { CommandContext } from './command.js';
import { type TablePlan, type TableWriteGuard, writeTableBackup } from './config-source.js';
import { describeChanges } from './edits.js';
import { CliFailure } from './errors.js';
import type { TableTarget } from './target.js';

/** Where backups go, relative to the working directory. */
export const BACKUP_DIR = '.local/backups';

const YES = /^\s*y(es)?\s*$/i;

/**
 * The guard of a command's table writes.
 * @throws (from confirmDeletes) CliFailure confirmation_required without --yes or a terminal,
 * cancelled when the person answers anything but yes; backup_failed from backup.
 */
export const createTableGuard = (ctx: CommandContext): TableWriteGuard & { shown: boolean } => {
  const guard = {
    /** The plan was printed before the write: the result need not repeat its items. */
    shown: false as boolean,
    showPlan(plan: TablePlan, target: TableTarget) {
      // With --json the plan is in the one JSON document (the result, or the error's details).
      if (ctx.json) return;
      ctx.io.stdout(
        `The plan for the ${target.describe}:\n${describeChanges(plan.changes).join('\n')}\n`,
      );
      guard.shown = true;
    },
    async confirmDeletes(plan: TablePlan, target: TableTarget) {
      if (ctx.values.yes === true) return;
      const count = plan.changes.deletes.length;
      const what = `${count} item${count === 1 ? '' : 's'} from the ${target.describe}`;
      if (ctx.io.ask === undefined || ctx.json) {
        throw new CliFailure(
          'confirmation_required',
          `this would delete ${what}; nothing was written. Review the plan${ctx.json ? '' : ' above'}, then rerun with --yes (a backup of the table is written first).`,
          { details: { ...plan.changes } },
        );
      }
      const answer = await ctx.io.ask(
        `Delete ${what}? A backup is written first. Type "yes" to apply: `,
      );
      if (!YES.test(answer)) throw new CliFailure('cancelled', 'cancelled: nothing was written');
    },
    backup: (target: TableTarget) => writeTableBackup(target, ctx.resolvePath(BACKUP_DIR)),
  } satisfies TableWriteGuard & { shown: boolean };
  return guard;
};
