import { JSONResolver } from 'graphql-scalars';
export { DateScalar } from './date.scalar.js';
export { DateTimeScalar } from './date-time.scalar.js';

export const JSONScalar = JSONResolver;
