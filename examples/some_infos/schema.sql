-- The schema the revisions make (see README, "Autogenerate").
CREATE TABLE some_infos (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `desc` TEXT
);
