"""bothost: a hardened Hetzner Cloud host for one crypto trading bot, as Pulumi code."""
