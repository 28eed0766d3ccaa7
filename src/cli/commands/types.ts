import type { Command } from 'commander';
import type { Context } from '../context.js';

/** Wraps an action so that its result (or failure) becomes the exit code. */
export type Action = (run: (...args: any[]) => Promise<number | void>) => (...args: unknown[]) => Promise<void>;

/** One subcommand of `herald`: it adds itself (and its --help) to the program. */
export type CliCommand = { readonly name: string; register(program: Command, context: Context, action: Action): void };
