/** Model commitments: the content-addressed model id over named parameters and an architecture digest. */
package dev.opg.core.model;
