DROP TABLE calls;
DROP TABLE contacts;
