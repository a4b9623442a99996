// Errors of the data layer live with every other user error.
export { DataError } from '../errors.js';
