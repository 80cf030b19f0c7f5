"""Change control: requests and the CCB workflow with an append-only audit log, drafting, exports."""
