DROP TABLE session_leases;
DROP TABLE instances;
