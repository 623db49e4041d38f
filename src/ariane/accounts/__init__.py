"""People: one account per person, roles, password policy, second factor, sessions.

names (account names), roles (the five roles), policy (passwords, CNIL 2022), record (the stored
account), vault (secrets sealed under the password), totp (second factor), store (accounts and
their administration), auth (login checks, lockout, signing key, password change), session
(sessions bound to an OS user and host, role checks).
"""
