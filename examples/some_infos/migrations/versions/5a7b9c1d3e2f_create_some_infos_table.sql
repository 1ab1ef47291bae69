-- create some_infos table
--
-- Revision ID: 5a7b9c1d3e2f
-- Revises: 
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE TABLE some_infos (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `desc` TEXT
);

-- migrate:downgrade
DROP TABLE some_infos;
