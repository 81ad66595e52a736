/** The service's name: its folder, image, chart key and Kubernetes objects all use it. */
export const SERVICE_NAME = 'notification'
