// STATUS: ready when nftables answers and the IPAM plugin can be found (and,
// when it speaks spec 1.1.0, says it is ready itself).
import { errorMessage } from '../lib/errors.js';
import { nftRunner } from '../../firewall/nftables/nft.js';
import { CniCode, CniError } from './errors.js';
import { findPlugin, ipamCall } from './delegate.js';
import { ipamCallOf, type CniRuntime } from './runtime.js';

export async function cmdStatus(rt: CniRuntime): Promise<void> {
  const fwName = (rt.procEnv.SKIFF_FW ?? rt.procEnv.NETAVARK_FW ?? 'nftables').toLowerCase();
  if (fwName !== 'none') {
    try {
      await nftRunner().list(['tables']);
    } catch (e) {
      throw new CniError(CniCode.NotAvailable, `nftables is not usable: ${errorMessage(e)}`);
    }
  }
  if (rt.conf.ipamType) {
    try {
      findPlugin(rt.conf.ipamType, rt.env.path);
    } catch (e) {
      throw new CniError(CniCode.NotAvailable, errorMessage(e));
    }
    await ipamCall(ipamCallOf(rt, 'STATUS'), rt.conf.cniVersion);
  }
}
