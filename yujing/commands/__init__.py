"""Sub-commands of ``yujing`` beyond the contract ones: one module per command, heavy imports inside."""
