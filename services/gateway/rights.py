"""Who may call each gateway RPC (by role group, see `shared.rights`): the API keys are ops'
to issue, list and revoke. The HTTP routes are the key's: its actor meets each service's own
rights table in the service it calls."""

from shared.rights import ROOT, Rights

RIGHTS = Rights("gateway", {
    "issue_key": ROOT,
    "revoke_key": ROOT,
    "list_keys": ROOT,
})
