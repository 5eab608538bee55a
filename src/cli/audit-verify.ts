/** `tollgate audit verify --config <file>`: implemented by the audit log (observability). */
export async function runAuditVerify(_file: string): Promise<number> {
  process.stderr.write('tollgate: the audit log is not available in this build\n');
  return 1;
}
