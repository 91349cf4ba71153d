"""galleria-admin: create teams, issue and revoke API keys, add credits."""
