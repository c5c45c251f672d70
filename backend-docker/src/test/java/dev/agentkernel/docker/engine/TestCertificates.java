package dev.agentkernel.docker.engine;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throw-away CA with a server and a client certificate, made with BouncyCastle (on the classpath through
 * docker-java), laid out as {@code DOCKER_CERT_PATH} expects: {@code ca.pem}, {@code cert.pem}, {@code key.pem}.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private final KeyPair caKeys;
    private final X509Certificate ca;

    public TestCertificates(String caName) throws GeneralSecurityException, IOException {
        caKeys = rsa();
        X500Name name = new X500Name("CN=" + caName);
        X509v3CertificateBuilder b = builder(name, name, caKeys);
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (org.bouncycastle.cert.CertIOException e) {
            throw new IOException(e);
        }
        ca = sign(b, caKeys);
    }

    /** A certificate for the server, naming {@code names} (IP addresses or DNS names) as its subject alternative names. */
    public Issued server(String... names) throws GeneralSecurityException, IOException {
        GeneralName[] alt = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            alt[i] = new GeneralName(names[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
        }
        return issue("agentkernel test engine", KeyPurposeId.id_kp_serverAuth, new GeneralNames(alt));
    }

    /** A client certificate, as the engine requires with {@code --tlsverify}. */
    public Issued client() throws GeneralSecurityException, IOException {
        return issue("agentkernel test client", KeyPurposeId.id_kp_clientAuth, null);
    }

    private Issued issue(String cn, KeyPurposeId purpose, GeneralNames alt) throws GeneralSecurityException, IOException {
        KeyPair keys = rsa();
        X509v3CertificateBuilder b = builder(new X500Name(ca.getSubjectX500Principal().getName()),
                new X500Name("CN=" + cn), keys);
        try {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (alt != null) {
                b.addExtension(Extension.subjectAlternativeName, false, alt);
            }
        } catch (org.bouncycastle.cert.CertIOException e) {
            throw new IOException(e);
        }
        return new Issued(keys, sign(b, caKeys));
    }

    /** Writes {@code ca.pem}, {@code cert.pem} and {@code key.pem} of {@code issued} into {@code dir}. */
    public Path writeCertPath(Path dir, Issued issued) throws IOException {
        Files.createDirectories(dir);
        pem(dir.resolve("ca.pem"), ca);
        pem(dir.resolve("cert.pem"), issued.certificate());
        pem(dir.resolve("key.pem"), issued.keys());
        return dir;
    }

    /** A server context presenting {@code issued} and asking for a client certificate from this CA. */
    public SSLContext serverContext(Issued issued) throws GeneralSecurityException, IOException {
        char[] pw = "test".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", issued.keys().getPrivate(), pw, new Certificate[] {issued.certificate(), ca});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pw);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    public record Issued(KeyPair keys, X509Certificate certificate) {
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static void pem(Path file, Object o) throws IOException {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(o);
        }
    }
}
