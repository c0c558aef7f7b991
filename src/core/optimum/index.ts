export { optimumModel, OPTIMUM_MAX_HOSTS, OPTIMUM_SOLVER_OPTIONS, type OptimumModel } from './model.js';
