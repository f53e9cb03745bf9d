"""Sub-commands of `pcf`, one module each; every module defines `command`."""
