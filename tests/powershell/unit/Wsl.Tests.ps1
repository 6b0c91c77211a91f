# Unit tests: wsl.exe, the distribution, its networking mode and its address (Private/Wsl.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Find-WslProgram' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'prefers the WSL package in Program Files' {
        InModuleScope WslPortProxy {
            Find-WslProgram | Should -Be (Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe')
        }
    }

    It 'Given no wsl.exe anywhere, fails with exit code 3 saying where it looked' {
        Remove-SimWsl
        InModuleScope WslPortProxy {
            $package = Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe'
            $system32 = Join-Path (Join-Path $env:SystemRoot 'System32') 'wsl.exe'
            { Find-WslProgram } | Should -Throw -ErrorId 'WslPortProxy.WslNotFound' -ExpectedMessage "wsl.exe was not found (looked in $package and $system32). Install WSL 2.0 or later for all users."
        }
    }

    It 'never takes a wsl.exe from PATH, which the task''s account sets' {
        Remove-SimWsl
        $own = Join-Path $global:WslppSim.Root 'Users/svc-podman/bin'
        Install-SimProgram -Program wsl -Path (Join-Path $own 'wsl.exe') -Fake (Join-Path $PSScriptRoot '../sim/fakewin.py')
        if (-not $global:WslppSimOnWindows) { Copy-Item -LiteralPath (Join-Path $own 'wsl.exe') -Destination (Join-Path $own 'wsl') }
        $saved = $env:PATH
        $env:PATH = $own + [System.IO.Path]::PathSeparator + $env:PATH
        try { InModuleScope WslPortProxy { { Find-WslProgram } | Should -Throw -ErrorId 'WslPortProxy.WslNotFound' } }
        finally { $env:PATH = $saved }
    }
}

Describe 'Get-WslAddress' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'returns the IPv4 address of eth0' {
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.241.140'
        }
        @(Get-SimCall -Program 'wsl') | Should -Be @('wsl --distribution podman-machine-default --exec sh -c ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true')
    }

    It 'waits while eth0 has no address yet' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; no_ip_for = 2 } }
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 5 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.5.5'
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 3
    }

    It 'Given no address in time, fails with exit code 4' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $null } }
        InModuleScope WslPortProxy {
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NoWslAddress' -ExpectedMessage "WSL distribution 'podman-machine-default' had no IPv4 address on eth0 within 0 seconds (1 attempts; last output: nat). No rule was changed."
        }
    }

    It 'Given <Mode> networking, fails with exit code 11 at once, naming the mode and what it means (<Means>)' -ForEach @(
        @{ Mode = 'bridged'; Means = '*the VM has its own address on the LAN, so clients can reach WSL directly and no portproxy rule is needed*' }
        @{ Mode = 'mirrored'; Means = "*eth0 carries this server's own addresses, so a portproxy rule would forward the port into this server itself*" }
        @{ Mode = 'consomme'; Means = "*WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port*" }
        @{ Mode = 'virtioproxy'; Means = "*WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port*" }
        @{ Mode = 'none'; Means = '*the VM has no network, so there is nothing to forward to*' }
        @{ Mode = 'wsl1'; Means = "*runs under WSL 1, which shares this server's network stack*" }
        @{ Mode = 'futuremode'; Means = '*a mode this version of WslPortProxy does not know; it forwards only in nat mode rather than guess*' }
    ) {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; networking_mode = $Mode } }
        InModuleScope WslPortProxy -Parameters @{ Mode = $Mode; Means = $Means } {
            param($Mode, $Means)
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 30 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NotNatNetworking' -ExpectedMessage "WSL uses $Mode networking (wslinfo --networking-mode$Means No rule was changed."
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 1
    }

    It 'Given no networking mode (WSL 1.x has no wslinfo), returns eth0''s address (Assert-ForeignAddress judges it)' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; networking_mode = $null } }
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.5.5'
        }
    }

    It 'Assert-ForeignAddress refuses one of this server''s own addresses (exit 11) and accepts WSL''s' {
        InModuleScope WslPortProxy {
            { Assert-ForeignAddress -Address '192.168.0.12' } | Should -Throw -ErrorId 'WslPortProxy.LocalAddress'
            { Assert-ForeignAddress -Address '172.28.241.140' } | Should -Not -Throw
        }
    }

    It 'Given the distribution is not registered for this account, fails with exit code 3 at once' {
        Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.5.5' } }
        InModuleScope WslPortProxy {
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 30 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.DistroNotFound' -ExpectedMessage "WSL distribution 'podman-machine-default' is not registered for CORP\svc-podman (*WSL_E_DISTRO_NOT_FOUND; wsl.exe --list --quiet lists: Ubuntu). The task must run as the account that owns the distribution."
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 2   # the probe, then the list of names
        @(Get-SimCall -Program 'wsl')[1] | Should -Be 'wsl --list --quiet'
    }

    It 'Given a failed probe for a distribution that is registered, keeps waiting (no exit 3)' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 1; Output = @('Catastrophic failure') } } -ParameterFilter { $ArgumentList[0] -eq '--distribution' }
            Mock Start-Sleep { }
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NoWslAddress'
        }
    }

    It 'Invoke-Wsl sets WSL_UTF8 and UTF-8 output decoding for the call only' {
        InModuleScope WslPortProxy {
            $savedEncoding = [Console]::OutputEncoding
            $env:WSL_UTF8 = $null
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @("$env:WSL_UTF8 $([Console]::OutputEncoding.WebName)") } }
            (Invoke-Wsl -WslPath 'wsl.exe' -ArgumentList @('--version')).Output | Should -Be '1 utf-8'
            $env:WSL_UTF8 | Should -BeNullOrEmpty
            [Console]::OutputEncoding.WebName | Should -Be $savedEncoding.WebName
        }
    }
}

Describe 'The address WSL reports: Get-WslAddressProblem, Get-WslNatNetwork' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'refuses non-unicast, loopback, link-local and multicast addresses, and what is not IPv4' {
        InModuleScope WslPortProxy {
            Get-WslAddressProblem -Address '127.0.0.1' -NatNetwork '172.28.0.0/16' | Should -Be 'a loopback address (127.0.0.0/8)'
            Get-WslAddressProblem -Address '169.254.169.254' -NatNetwork $null | Should -Be 'a link-local address (169.254.0.0/16)'
            Get-WslAddressProblem -Address '239.1.2.3' -NatNetwork $null | Should -Be 'a multicast address (224.0.0.0/4)'
            Get-WslAddressProblem -Address '0.1.2.3' -NatNetwork $null | Should -Be 'not a unicast address (0.0.0.0/8)'
            Get-WslAddressProblem -Address '255.255.255.255' -NatNetwork $null | Should -Be 'not a unicast address (240.0.0.0/4)'
            Get-WslAddressProblem -Address '172.28.300.1' -NatNetwork $null | Should -Be 'not an IPv4 address'
            Get-WslAddressProblem -Address 'fe80::1' -NatNetwork $null | Should -Be 'not an IPv4 address'
        }
    }

    It 'accepts an address inside NatNetwork only, and without one a private address only' {
        InModuleScope WslPortProxy {
            Get-WslAddressProblem -Address '172.28.255.254' -NatNetwork '172.28.240.0/20' | Should -Be ''
            Get-WslAddressProblem -Address '172.28.239.255' -NatNetwork '172.28.240.0/20' |
                Should -Be 'outside the NAT network WSL set up (NatNetwork 172.28.240.0/20 in HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss)'
            foreach ($private in '10.255.0.1', '172.31.0.1', '192.168.99.1') {
                Get-WslAddressProblem -Address $private -NatNetwork $null | Should -Be ''
            }
            Get-WslAddressProblem -Address '172.32.0.1' -NatNetwork '' | Should -BeLike 'not a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), *'
        }
    }

    It 'Get-WslNatNetwork reads NatNetwork from HKLM; missing or malformed is $null' {
        $key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'
        Set-SimRegistry -Key $key -Name 'NatNetwork' -Value '172.29.16.0/20'
        InModuleScope WslPortProxy { Get-WslNatNetwork | Should -Be '172.29.16.0/20' }
        foreach ($bad in '172.29.16.0', '172.29.16.0/33', '999.1.1.1/8', $null) {
            Set-SimRegistry -Key $key -Name 'NatNetwork' -Value $bad
            InModuleScope WslPortProxy { Get-WslNatNetwork | Should -BeNullOrEmpty }
        }
    }

    It 'Assert-ForeignAddress fails with exit 11 (UntrustedAddress) naming the address and why' {
        InModuleScope WslPortProxy {
            { Assert-ForeignAddress -Address '127.0.0.2' } | Should -Throw -ErrorId 'WslPortProxy.UntrustedAddress' `
                -ExpectedMessage "WSL's address 127.0.0.2 is a loopback address (127.0.0.0/8). eth0's address is set inside the distribution, so the task does not trust it; run wsl --shutdown and let WSL assign it again, and check who changed it. No rule was changed."
            try { Assert-ForeignAddress -Address '10.1.1.1' } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 11 }
        }
    }
}
