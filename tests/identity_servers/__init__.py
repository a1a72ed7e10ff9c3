"""Real identity servers for the tests: an OpenID Provider (Authlib's server components) and OpenLDAP."""
