"""The Pulumi side of bothost: engine config reading, host key generation and the BotHost component."""
