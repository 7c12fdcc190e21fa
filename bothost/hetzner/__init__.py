"""The few Hetzner API calls the runbook makes outside `pulumi up`, over the official `hcloud` library."""
