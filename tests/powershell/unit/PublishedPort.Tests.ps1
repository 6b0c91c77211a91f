# Unit tests: what the container engine publishes (Private/PublishedPort.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'ConvertFrom-PodmanContainerList' {
    It 'expands ranges, keeps TCP (also in a protocol list), drops UDP, and marks loopback bindings unreachable' {
        InModuleScope WslPortProxy {
            $json = @'
[
  {"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 8080, "range": 0, "protocol": "tcp"},
                               {"host_ip": "0.0.0.0", "container_port": 9000, "host_port": 9100, "range": 2, "protocol": "tcp,udp"}]},
  {"Names": ["dns"], "Ports": [{"host_ip": "", "container_port": 53, "host_port": 53, "range": 1, "protocol": "udp"}]},
  {"Names": ["db"], "Ports": [{"host_ip": "127.0.0.1", "container_port": 5432, "host_port": 5432, "range": 1, "protocol": ""}]},
  {"Names": ["idle"], "Ports": null}
]
'@
            $ports = @(ConvertFrom-PodmanContainerList -Json $json)
            @($ports | ForEach-Object { '{0} {1}:{2}->{3} {4}' -f $_.Container, $_.HostIp, $_.Port, $_.ContainerPort, $_.Reachable }) | Should -Be @(
                'web 0.0.0.0:8080->80 True', 'web 0.0.0.0:9100->9000 True', 'web 0.0.0.0:9101->9001 True', 'db 127.0.0.1:5432->5432 False')
            $ports[0].PSObject.TypeNames[0] | Should -Be 'WslPortProxy.PublishedPort'
            $ports[0].Engine | Should -Be 'podman'
        }
    }

    It 'returns nothing for an empty list' {
        InModuleScope WslPortProxy { @(ConvertFrom-PodmanContainerList -Json '[]') | Should -HaveCount 0 }
    }

    It 'cuts a published range by Within: expanded inside, one range per piece outside' {
        InModuleScope WslPortProxy {
            $within = @([pscustomobject]@{ First = 5; Last = 6 }, [pscustomobject]@{ First = 9; Last = 20 })
            @(Split-PortRange -First 1 -Last 10 -Within $within | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Inside }) |
                Should -Be @('1-4 False', '5-6 True', '7-8 False', '9-10 True')
            @(Split-PortRange -First 30 -Last 40 -Within $within | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Inside }) |
                Should -Be @('30-40 False')
            $json = '[{"Names": ["w"], "Ports": [{"host_ip": "", "container_port": 101, "host_port": 1, "range": 10, "protocol": "tcp"}]}]'
            $items = @(ConvertFrom-PodmanContainerList -Json $json -Within $within)
            @($items | ForEach-Object { if ($_.PSObject.TypeNames -contains 'WslPortProxy.PublishedRange') { "range $($_.First)-$($_.Last)" } else { "$($_.Port)->$($_.ContainerPort)" } }) |
                Should -Be @('range 1-4', '5->105', '6->106', 'range 7-8', '9->109', '10->110')
        }
    }
}

Describe 'ConvertFrom-DockerPortText' {
    It 'reads <Text>' -ForEach @(
        @{ Text = '0.0.0.0:8080->80/tcp, :::8080->80/tcp'; Expected = @('0.0.0.0:8080->80 True', ':::8080->80 True') }
        @{ Text = '[::]:9100-9101->9100-9101/tcp'; Expected = @(':::9100->9100 True', ':::9101->9101 True') }
        @{ Text = '127.0.0.1:9090->9090/tcp, [::1]:9091->9091/tcp'; Expected = @('127.0.0.1:9090->9090 False', '::1:9091->9091 False') }
        @{ Text = '53/udp, 6379/tcp, 0.0.0.0:53->53/udp'; Expected = @() }
        @{ Text = ''; Expected = @() }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Text = $Text; Expected = $Expected } {
            param($Text, $Expected)
            $ports = @(ConvertFrom-DockerPortText -Text $Text -Container 'c')
            @($ports | ForEach-Object { '{0}:{1}->{2} {3}' -f $_.HostIp, $_.Port, $_.ContainerPort, $_.Reachable }) | Should -Be $Expected
        }
    }
}

Describe 'Read-PodmanPort' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'finds the JSON after podman''s warnings on stderr' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running","Rootful":true}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } {
                [pscustomobject]@{ ExitCode = 0; Output = @('time="2026-12-01T10:00:00Z" level=warning msg="The cgroupv2 manager is set to systemd"', '[', '{"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 80, "range": 1, "protocol": "tcp"}]}', ']') }
            }
            $reading = Read-PodmanPort -Distro 'm'
            $reading.Engine | Should -Be 'podman (connection m-root)'
            @($reading.Ports) | Should -HaveCount 1
            Should -Invoke Invoke-Podman -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq '--connection m-root ps --format json' }
        }
    }

    It 'fails with exit code 13 and podman''s words when ps fails' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running","Rootful":false}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } { [pscustomobject]@{ ExitCode = 125; Output = @('Error: unable to connect to Podman socket') } }
            $failure = { Read-PodmanPort -Distro 'm' } | Should -Throw -ErrorId 'WslPortProxy.EngineFailed' -PassThru
            $failure.Exception.Message | Should -BeExactly 'podman --connection m ps failed (exit 125): Error: unable to connect to Podman socket'
            $failure.Exception.Data['WslPortProxyExitCode'] | Should -Be 13
        }
    }

    It 'fails with exit code 13 when the output is not JSON' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running"}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } { [pscustomobject]@{ ExitCode = 0; Output = @('[oops') } }
            { Read-PodmanPort -Distro 'm' } | Should -Throw -ErrorId 'WslPortProxy.EngineFailed' -ExpectedMessage 'podman --connection m ps printed no readable list: `[oops'
        }
    }

    It 'says the state is unknown when podman machine inspect fails' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman { [pscustomobject]@{ ExitCode = 125; Output = @('Error: m: VM does not exist') } }
            { Read-PodmanPort -Distro 'm' } | Should -Throw -ExpectedMessage 'podman machine m is not running (state: unknown): its published ports cannot be read.'
        }
    }
}

Describe 'Read-PublishedPort' {
    It 'asks podman for a podman machine and Docker otherwise, and sorts by port' {
        InModuleScope WslPortProxy {
            $unsorted = @((New-PublishedPort -Engine 'docker' -Container 'b' -Port 90 -ContainerPort 90), (New-PublishedPort -Engine 'docker' -Container 'a' -Port 80 -ContainerPort 80))
            Mock Read-PodmanPort { [pscustomobject]@{ Engine = 'podman'; Ports = @() } }
            Mock Read-DockerPort { [pscustomobject]@{ Engine = 'docker'; Ports = $unsorted } }
            Mock Find-WslProgram { 'wsl.exe' }
            $timeouts = [pscustomobject]@{ Wsl = 7; Podman = 8; Netsh = 9 }
            $link = Join-Path $TestDrive 'podman-wsl/Microsoft/WindowsApps'   # what the reconcile made for podman <= 5.5
            New-Item -ItemType Directory -Path $link -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $link 'wsl.exe') -Value 'link'
            (Read-PublishedPort -Settings ([pscustomobject]@{ PodmanMachine = $true; Distro = 'm'; CommandTimeouts = $timeouts; InstallDirectory = $TestDrive })).Engine | Should -Be 'podman'
            Should -Invoke Read-PodmanPort -Times 1 -Exactly -ParameterFilter { $CommandTimeout -eq 8 -and $LocalAppData -eq (Join-Path $TestDrive 'podman-wsl') }
            $docker = Read-PublishedPort -Settings ([pscustomobject]@{ PodmanMachine = $false; Distro = 'Ubuntu'; CommandTimeouts = $timeouts; InstallDirectory = $TestDrive })
            Should -Invoke Read-DockerPort -Times 1 -Exactly -ParameterFilter { $CommandTimeout -eq 7 }   # wsl.exe's
            @($docker.Ports | ForEach-Object { $_.Port }) | Should -Be @(80, 90)
            Should -Invoke Read-DockerPort -Times 1 -Exactly -ParameterFilter { $Distro -eq 'Ubuntu' -and $WslPath -eq 'wsl.exe' }
        }
    }

    It 'returns $null when the distribution has no Docker socket' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('no docker socket') } }
            Read-DockerPort -WslPath 'wsl.exe' -Distro 'Ubuntu' | Should -BeNullOrEmpty
            Should -Invoke Invoke-Wsl -Times 1 -Exactly -ParameterFilter { $ArgumentList[-1] -like 'if `[ -S /var/run/docker.sock `]; then docker ps*' }
        }
    }
}

Describe 'Get-PublishedPortReading with auto_ports: a published range meets the allow-list' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'expands only the ports the allow-list or a static entry names: -p 1-65535:1-65535 gives <Count> ports through <Engine>' -ForEach @(
        @{ Engine = 'podman'; Count = 4 }, @{ Engine = 'docker'; Count = 4 }
    ) {
        $table = New-TestSettings -Overrides @{ PodmanMachine = ($Engine -eq 'podman')
            AutoPorts = @{ From = $Engine; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8001 }) }
            Ports = @(@{ ListenAddress = '0.0.0.0'; ListenPort = 9443; LastListenPort = 9443; ConnectPort = 443; AllowFrom = @() },
                @{ ListenAddress = '0.0.0.0'; ListenPort = 8001; LastListenPort = 8001; ConnectPort = 8001; AllowFrom = @() }) }
        InModuleScope WslPortProxy -Parameters @{ Table = $table } {
            param($Table)
            $settings = Import-Settings -Settings $Table
            Mock Find-WslProgram { 'wsl.exe' }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running"}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } {
                [pscustomobject]@{ ExitCode = 0; Output = @('[{"Names": ["wide"], "Ports": [{"host_ip": "", "container_port": 1, "host_port": 1, "range": 65535, "protocol": "tcp"}]},',
                        '{"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 8000, "range": 1, "protocol": "tcp"}]}]') }
            }
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('{"Names":"wide","Ports":"0.0.0.0:1-65535->1-65535/tcp"}', '{"Names":"web","Ports":"0.0.0.0:8000->80/tcp"}') } }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $reading = (Get-PublishedPortReading -Settings $settings).Reading
            $seconds = $clock.Elapsed.TotalSeconds
            @($reading.Ports | ForEach-Object { '{0} {1}' -f $_.Port, $_.Container }) | Should -Be @('443 wide', '8000 web', '8000 wide', '8001 wide')
            @($reading.Outside | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Container }) | Should -Be @('1-442 wide', '444-7999 wide', '8002-65535 wide')
            $seconds | Should -BeLessThan 10   # the work done is asserted above; 17 s of CPU before the fix
        }
    }
}

Describe 'Read-DockerPort' {
    It 'reads docker ps''s JSON lines, one container per line' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('{"Names":"shop,shop-alias","Ports":"0.0.0.0:8080->80/tcp"}', '{"Names":"idle","Ports":""}') } }
            $reading = Read-DockerPort -WslPath 'wsl.exe' -Distro 'Ubuntu'
            $reading.Engine | Should -Be 'docker'
            @($reading.Ports | ForEach-Object { "$($_.Container) $($_.Port)->$($_.ContainerPort)" }) | Should -Be @('shop 8080->80')
        }
    }

    It 'fails with exit code 13 and docker''s words when docker ps fails' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 1; Output = @('Cannot connect to the Docker daemon') } }
            { Read-DockerPort -WslPath 'wsl.exe' -Distro 'Ubuntu' } | Should -Throw -ErrorId 'WslPortProxy.EngineFailed' -ExpectedMessage 'docker ps in Ubuntu failed (exit 1): Cannot connect to the Docker daemon'
        }
    }
}
