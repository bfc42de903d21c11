DROP TABLE chat_states;
