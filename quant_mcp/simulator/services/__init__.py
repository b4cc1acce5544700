"""Behaviour shared by several API groups (models, sessions, usage, chat turns, executions)."""
