-- create users table
--
-- Revision ID: 2c4e6a8b0d1f
-- Revises: 
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
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

-- migrate:downgrade
DROP TABLE users;
