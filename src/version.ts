// pqk's version, as recorded in exported models and reports.
export const PQK_VERSION = '0.1.0';
