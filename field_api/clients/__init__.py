"""Clients (客户) of a branch, created on the salesperson's phone and merged when two phones made the same one."""
