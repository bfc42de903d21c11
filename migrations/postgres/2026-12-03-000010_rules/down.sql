DROP TABLE rule_firings;
DROP TABLE rules;
