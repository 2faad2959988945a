/**
 * The {@code opg} command: {@code prove}, {@code verify}, {@code inspect}, {@code bisect},
 * {@code anchor}, {@code check-anchor}, {@code deploy} and {@code demo}.
 *
 * <p>{@link dev.opg.cli.Opg#main} is the only place that calls {@code System.exit}; every command
 * returns one of the {@link dev.opg.cli.ExitCodes}, and {@link dev.opg.cli.Opg#run} runs the
 * command line in-process (what the tests do).
 */
package dev.opg.cli;
