-- create todos
--
-- Revision ID: 6a1f0c3b2d41
-- Revises: 
-- Create Date: 2026-12-07 12:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE TABLE todos (
    id INTEGER PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    done BOOLEAN NOT NULL DEFAULT FALSE
);

-- migrate:downgrade
DROP TABLE todos;
