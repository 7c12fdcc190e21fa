"""Rehearsal: boot the exact user_data on a local Debian 12 VM under qemu, then verify it."""
