-- Staff e-mail addresses, for notifications through SMTP when configured.
ALTER TABLE users ADD COLUMN email TEXT;
