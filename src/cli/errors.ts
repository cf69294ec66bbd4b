// Errors that stop a node from starting, with a message meant for the operator.
export class PlatformError extends Error {}
