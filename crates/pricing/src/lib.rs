//! Model prices and cost computation. Knows nothing of logs, SQLite or terminals.
