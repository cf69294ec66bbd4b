// The headers that tell an upstream who the consumer is. Only the gateway sets them, after an
// authentication plugin checked a credential; a client's copies never reach an upstream.
export const CONSUMER_IDENTITY_HEADERS = ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-consumer-groups', 'x-credential-identifier', 'x-anonymous-consumer'] as const;
