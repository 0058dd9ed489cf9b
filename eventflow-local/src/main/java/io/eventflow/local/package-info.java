/** The whole eventflow pipeline in one process, on embedded stand-ins for every GCP service. */
package io.eventflow.local;
