import { hashPassword } from '../../src/admin/password-hash.js';

/** A console account of each restricted role, as the role tests log in with. */
export const VIEWER = { user: 'vera', password: 'vera-viewer-password-1' };
export const FINANCE = { user: 'fiona', password: 'fiona-finance-password-1' };

/** The `admin` section: the token, and a viewer and a finance account (VIEWER, FINANCE). */
export async function adminWithRoleAccounts(token: string): Promise<Record<string, unknown>> {
  return {
    token,
    users: [
      { name: VIEWER.user, password_hash: await hashPassword(VIEWER.password), role: 'viewer' },
      { name: FINANCE.user, password_hash: await hashPassword(FINANCE.password), role: 'finance' },
    ],
  };
}
