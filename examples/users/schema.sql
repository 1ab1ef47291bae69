-- The schema the revisions make (see README, "Autogenerate").
CREATE TABLE users (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    password VARCHAR(255) NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT true,
    phone VARCHAR(13),
    birth DATE,
    gender VARCHAR(1) DEFAULT 'M',
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT uq_users_phone UNIQUE (phone)
);
CREATE INDEX ix_users_email ON users (email);
