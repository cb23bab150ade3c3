"""Information security: who acts (context), what they may do (rbac), what they did (audit), and the
controls around accounts, second factors, backups and cryptography (NB Resolution 164)."""
