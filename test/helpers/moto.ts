// The same moto launcher the demo and the benchmark use.
export { freePort, motoCommand, startMoto } from '../../scripts/lib/moto';
export type MotoServer = Awaited<ReturnType<typeof import('../../scripts/lib/moto').startMoto>>;
