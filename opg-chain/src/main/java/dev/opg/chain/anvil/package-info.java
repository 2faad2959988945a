/** A local anvil node (from the pinned npm package) for tests and the {@code opg demo} command. */
package dev.opg.chain.anvil;
